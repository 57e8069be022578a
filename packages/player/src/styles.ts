/**
 * The player's stylesheet as a string (for a host that links its own CSS) and as a constructed
 * stylesheet adopted by the document: no inline <style> or style attributes are needed, so a
 * strict Content-Security-Policy holds.
 */
export const playerCss = `
.fp-player { position: relative; display: flex; flex-direction: column; gap: 4px; background: #111; color: #eee;
  font: 13px/1.3 system-ui, sans-serif; outline: none; }
.fp-player:focus-visible { box-shadow: 0 0 0 2px #4c8dff; }
.fp-stage { position: relative; background: #000; overflow: hidden; display: flex; align-items: center; justify-content: center; }
.fp-video, .fp-decoded { display: block; max-width: 100%; max-height: 100%; }
.fp-decoded { position: absolute; pointer-events: none; }
.fp-poster { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; pointer-events: none; }
.fp-hidden { display: none !important; }
.fp-overlay { position: absolute; pointer-events: none; }
.fp-action-safe { border: 1px dashed rgba(255,255,255,.6); }
.fp-title-safe { border: 1px dashed rgba(255,220,0,.7); }
.fp-cut43 { border-left: 1px solid rgba(0,255,255,.6); border-right: 1px solid rgba(0,255,255,.6); top: 0; bottom: 0; }
.fp-subtitle { position: absolute; left: 5%; right: 5%; bottom: 8%; text-align: center; pointer-events: none; white-space: pre-line;
  font-size: 18px; text-shadow: 0 0 3px #000, 0 0 3px #000; color: #fff; }
.fp-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; padding: 2px 6px; }
.fp-bar button, .fp-bar select, .fp-bar input { background: #222; color: #eee; border: 1px solid #444; border-radius: 3px; font: inherit; padding: 2px 6px; }
.fp-bar button[aria-pressed="true"] { background: #2d4f8f; }
.fp-readout { font-variant-numeric: tabular-nums; font-family: ui-monospace, monospace; min-width: 6ch; display: inline-block; }
.fp-label { color: #999; margin-right: 2px; }
.fp-goto { width: 12ch; }
.fp-audio { display: flex; flex-wrap: wrap; gap: 8px; padding: 0 6px; }
.fp-track { display: flex; align-items: center; gap: 4px; }
.fp-meter { width: 80px; height: 14px; background: #000; }
.fp-timeline-wrap { position: relative; }
.fp-timeline { display: block; width: 100%; touch-action: none; cursor: default; }
.fp-tip { position: absolute; background: #333; color: #fff; padding: 2px 6px; border-radius: 3px; pointer-events: none; white-space: nowrap; }
.fp-error { color: #ff8080; }
`;

let sheet: CSSStyleSheet | null = null;

/** Adopts the stylesheet into the document once (or into a shadow root). */
export function adoptPlayerStyles(root: Document | ShadowRoot = document): void {
  if (typeof CSSStyleSheet === 'undefined' || !('adoptedStyleSheets' in root)) return;
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(playerCss);
  }
  if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}
