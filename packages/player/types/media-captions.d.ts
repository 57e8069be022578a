/**
 * The part of media-captions the player uses. The package's own declarations import their
 * files without extensions, which NodeNext resolution cannot follow, so tsconfig `paths`
 * points the type checker here (the code that runs is the package's own).
 */
export declare class ParseError extends Error {
  readonly code: number;
  readonly line: number;
}
export interface VTTCue {
  startTime: number;
  endTime: number;
  text: string;
}
export interface ParsedCaptionsResult {
  cues: VTTCue[];
  errors: ParseError[];
}
export declare function parseText(
  text: string,
  options?: { strict?: boolean; errors?: boolean; type?: 'vtt' | 'srt' | 'ssa' | 'ass' },
): Promise<ParsedCaptionsResult>;
