/**
 * The search index rows of one resource, one list per index table (see migration 0002).
 * Values are plain strings and numbers so that both drivers can send them as arrays.
 */
export interface IndexRows {
  token: { param: string; system?: string; code?: string; display?: string; typeSystem?: string; typeCode?: string }[];
  string: { param: string; normalized: string; value: string }[];
  reference: { param: string; targetType?: string; targetId?: string; targetUrl: string }[];
  date: { param: string; low?: string; high?: string }[];
  number: { param: string; value: string; low: string; high: string }[];
  quantity: { param: string; system?: string; code?: string; unit?: string; value: string; low: string; high: string }[];
  uri: { param: string; value: string }[];
  position: { latitude: number; longitude: number }[];
  composite: {
    param: string; c1System?: string; c1Code?: string; c2System?: string; c2Code?: string;
    c2Low?: string; c2High?: string; c2DateLow?: string; c2DateHigh?: string;
  }[];
}

export function emptyIndexRows(): IndexRows {
  return { token: [], string: [], reference: [], date: [], number: [], quantity: [], uri: [], position: [], composite: [] };
}
