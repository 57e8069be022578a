import { ConfigError, type Env, envChoice, envGroup } from '@frameproof/core';

export const TRANSCODERS = ['ffmpeg', 'mediaconvert'] as const;
export type TranscoderKind = (typeof TRANSCODERS)[number];

/** What MediaConvert jobs are created with: the deployment's role, presets and queue. */
export interface MediaConvertSettings {
  region: string;
  /** The role MediaConvert assumes to read originals and write proxies (MEDIACONVERT_ROLE_ARN). */
  roleArn: string;
  /**
   * Preset names: the video proxy (H.264 + AAC in MP4), the same without audio for a source that
   * has none (MediaConvert fails a job whose output asks for audio the input lacks), and an audio
   * proxy (AAC in MP4).
   */
  proxyPreset: string;
  videoOnlyPreset: string;
  audioPreset: string;
  /** Queue name or ARN; MediaConvert's `Default` queue when unset. */
  queue?: string;
  /** An account endpoint, only for SDKs or regions that still need one; else the regional endpoint. */
  endpoint?: string;
}

/** What Rekognition Video analyses are started with: the role and topic it reports completion to. */
export interface RekognitionSettings {
  region: string;
  roleArn: string;
  snsTopicArn: string;
}

export interface AwsSettings {
  transcoder: TranscoderKind;
  mediaConvert?: MediaConvertSettings;
  rekognition?: RekognitionSettings;
}

const MEDIACONVERT = [
  'MEDIACONVERT_ROLE_ARN',
  'MEDIACONVERT_PROXY_PRESET',
  'MEDIACONVERT_VIDEO_ONLY_PRESET',
  'MEDIACONVERT_AUDIO_PRESET',
] as const;
const REKOGNITION = ['REKOGNITION_ROLE_ARN', 'REKOGNITION_SNS_TOPIC_ARN'] as const;

/**
 * The AWS engines' settings: `TRANSCODER=mediaconvert` needs the MEDIACONVERT_* settings;
 * Rekognition runs when both REKOGNITION_* settings are given. Without them (locally) nothing of
 * AWS is used.
 */
export function readAwsSettings(env: Env): AwsSettings {
  const transcoder = envChoice(env, 'TRANSCODER', TRANSCODERS, 'ffmpeg');
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || '';
  const needRegion = (what: string) => {
    if (!region) throw new ConfigError(`${what} needs AWS_REGION`);
    return region;
  };
  let mediaConvert: MediaConvertSettings | undefined;
  if (transcoder === 'mediaconvert') {
    const mc = envGroup(env, MEDIACONVERT, 'TRANSCODER=mediaconvert');
    if (!mc) throw new ConfigError(`TRANSCODER=mediaconvert needs ${MEDIACONVERT.join(', ')}`);
    const endpoint = env.MEDIACONVERT_ENDPOINT?.trim();
    if (endpoint && !/^https:\/\/\S+$/.test(endpoint))
      throw new ConfigError(`MEDIACONVERT_ENDPOINT must be an https:// URL, got "${endpoint}"`);
    mediaConvert = {
      region: needRegion('TRANSCODER=mediaconvert'),
      roleArn: mc.MEDIACONVERT_ROLE_ARN,
      proxyPreset: mc.MEDIACONVERT_PROXY_PRESET,
      videoOnlyPreset: mc.MEDIACONVERT_VIDEO_ONLY_PRESET,
      audioPreset: mc.MEDIACONVERT_AUDIO_PRESET,
      queue: env.MEDIACONVERT_QUEUE?.trim() || undefined,
      endpoint: endpoint || undefined,
    };
  }
  const rk = envGroup(env, REKOGNITION, 'Rekognition Video');
  const rekognition = rk && {
    region: needRegion('Rekognition Video'),
    roleArn: rk.REKOGNITION_ROLE_ARN,
    snsTopicArn: rk.REKOGNITION_SNS_TOPIC_ARN,
  };
  return { transcoder, mediaConvert, rekognition };
}
