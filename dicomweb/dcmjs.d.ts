/**
 * The part of dcmjs (which ships no types) that Passerelle uses: reading Part 10 files and the
 * data dictionary. Datasets come back keyed by 8-hex-digit tags, close to the DICOM JSON model.
 */
declare module 'dcmjs' {
  export interface DcmjsElement {
    vr: string;
    Value?: unknown[] | number;
    _rawValue?: unknown;
  }
  export type DcmjsDataset = Record<string, DcmjsElement>;

  export interface ReadOptions {
    ignoreErrors?: boolean;
    /** Stop before this tag (8 hex digits), e.g. the pixel data. */
    untilTag?: string | null;
    includeUntilTagValue?: boolean;
    noCopy?: boolean;
    forceStoreRaw?: boolean;
  }

  export interface DicomDict {
    meta: DcmjsDataset;
    dict: DcmjsDataset;
  }

  export interface DictionaryEntry {
    tag: string;
    vr: string;
    name: string;
    vm: string;
    version: string;
  }

  const dcmjs: {
    data: {
      DicomMessage: { readFile(buffer: ArrayBuffer, options?: ReadOptions): DicomDict };
      DicomMetaDictionary: {
        nameMap: Record<string, DictionaryEntry | undefined>;
        dictionary: Record<string, DictionaryEntry | undefined>;
      };
    };
    log: { setLevel(level: string): void; getLogger(name: string): { setLevel(level: string): void } };
  };
  export default dcmjs;
}
