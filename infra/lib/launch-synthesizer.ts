import {
  Fn,
  NestedStack,
  StackSynthesizer,
  type CfnStack,
  type DockerImageAssetLocation,
  type DockerImageAssetSource,
  type FileAssetLocation,
  type FileAssetSource,
  type ISynthesisSession,
} from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Where `publish-templates` puts the nested templates; values are the parent's parameters. */
export interface TemplateLocation {
  readonly bucketName: string;
  readonly keyPrefix: string;
  readonly bucketRegion: string;
}

/** The object key (after the prefix) of a nested stack's template: `nested/<id in lower case>.yaml`. */
export function nestedTemplateKey(nested: IConstruct): string {
  return `nested/${nested.node.id.toLowerCase()}.yaml`;
}

/**
 * Synthesizes templates for a "Launch stack" button: no CDK bootstrap (no asset bucket, no
 * deployment roles, no bootstrap version check) and therefore no assets. The one kind of file a
 * stack may still carry is a nested stack's template; its URL is built from the parent stack's
 * templates-bucket parameters, where `publish-templates` uploads it. Anything else (Lambda code from
 * a folder, a Docker image built from a Dockerfile) fails the synthesis: use inline code and
 * registry images instead.
 */
export class LaunchTemplateSynthesizer extends StackSynthesizer {
  private location?: TemplateLocation;

  /** Called by the stack once it has made its templates-bucket parameters. */
  useTemplateLocation(location: TemplateLocation): void {
    this.location = location;
  }

  override addFileAsset(asset: FileAssetSource): FileAssetLocation {
    const nested = this.boundStack.node
      .findAll()
      .find((c): c is NestedStack => NestedStack.isNestedStack(c) && c.templateFile === asset.fileName);
    if (!nested) {
      throw new Error(
        `Launch templates cannot carry file assets (${asset.displayName ?? asset.fileName ?? asset.sourceHash}): ` +
          'inline the code or take it from a registry.',
      );
    }
    if (!this.location) {
      throw new Error(`${this.boundStack.stackName} has nested stacks but no templates-bucket parameters.`);
    }
    const { bucketName, keyPrefix, bucketRegion } = this.location;
    const objectKey = `${keyPrefix}${nestedTemplateKey(nested)}`;
    const httpUrl = Fn.join('', [
      'https://',
      bucketName,
      '.s3.',
      bucketRegion,
      '.',
      Fn.ref('AWS::URLSuffix'),
      '/',
      objectKey,
    ]);
    // The nested stack would point at `s3.<stack region>`; the templates bucket may be in any region.
    (nested.nestedStackResource as CfnStack).templateUrl = httpUrl;
    return { bucketName, objectKey, httpUrl, s3ObjectUrl: `s3://${bucketName}/${objectKey}` };
  }

  override addDockerImageAsset(asset: DockerImageAssetSource): DockerImageAssetLocation {
    throw new Error(
      `Launch templates cannot build Docker images (${asset.displayName ?? asset.directoryName ?? asset.sourceHash}): ` +
        'take the image from a registry by repository and tag.',
    );
  }

  override synthesize(session: ISynthesisSession): void {
    this.synthesizeTemplate(session);
    this.emitArtifact(session);
  }
}
