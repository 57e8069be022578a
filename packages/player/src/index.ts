export type {
  FramePresenter,
  Player,
  PlayerAudioTrack,
  PlayerEvents,
  PlayerMarker,
  PlayerMedia,
  PlayerOptions,
  SubtitleInput,
} from './types.js';
export { createPlayer } from './player.js';
export {
  FrameInputError,
  clampFrame,
  deepLinkOf,
  frameFromDeepLink,
  frameOfInput,
  frameOfTimecode,
  timecodeOf,
} from './frames.js';
export { parseSpriteVtt, sheetResolver, tileAt, type SpriteTile } from './media-data.js';
export { playerCss, adoptPlayerStyles } from './styles.js';
export { parseSubtitles, SubtitleError, type SubtitleCue, type SubtitleTrack } from './subtitles.js';
