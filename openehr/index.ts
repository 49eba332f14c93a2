/** The openEHR REST API's public surface; other folders import only this file. */
export { openehrRouter, type OpenEhrOptions } from './router.ts';
export { createEhr, ehrById, ehrOfSubject, commitComposition, compositionById, listCompositionsOfSubjects, type EhrRecord, type CompositionRecord, type SubjectComposition } from './store.ts';
export type { Composition, EhrStatus, SubjectRef } from './documents.ts';
