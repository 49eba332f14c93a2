/**
 * The shipped default profile for research exports (research-profile.json), checked once when
 * first asked for. A site with other needs writes its own profile in the same form.
 */
import { readFileSync } from 'node:fs';
import { checkProfile, type Profile } from './rules.ts';

let research: Profile | undefined;

/** The default research profile (a fresh copy: callers may extend it). */
export function researchProfile(): Profile {
  research ??= checkProfile(JSON.parse(readFileSync(new URL('./research-profile.json', import.meta.url), 'utf8')) as Profile);
  return structuredClone(research);
}

/** Reads and checks a profile from a JSON file of the same form. */
export function loadProfile(file: string): Profile {
  return checkProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile);
}
