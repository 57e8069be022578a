import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { acknowledge } from './nag.js';

export interface GeneratedSecretOptions {
  readonly description: string;
  /** An account: the secret is `{"username": …, "password": …}`. Without: the secret is the key alone. */
  readonly username?: string;
  readonly length: number;
  /** Why it is not rotated by Secrets Manager, and how to rotate it (cdk-nag SMG4). */
  readonly rotation: string;
}

/**
 * A password or key Secrets Manager generates (letters and digits) for tasks that read it as an
 * ECS secret when they start; never in a template, an output or a log.
 */
export function generatedSecret(
  scope: Construct,
  id: string,
  options: GeneratedSecretOptions,
): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, id, {
    description: options.description,
    generateSecretString: {
      ...(options.username !== undefined && {
        secretStringTemplate: JSON.stringify({ username: options.username }),
        generateStringKey: 'password',
      }),
      excludePunctuation: true,
      passwordLength: options.length,
    },
  });
  acknowledge(secret, 'SMG4', options.rotation);
  return secret;
}
