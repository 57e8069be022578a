#!/usr/bin/env node
// The CDK app for `npx cdk synth|deploy` (run from infra/, in an account bootstrapped with
// `npx cdk bootstrap`). The launch templates come from `npm run synth` instead. With
// FRAMEPROOF_IMAGE_REGISTRY set, the image parameters default to the images pushed there.
import { createFrameproofApp } from '../lib/app.js';
import { imageRegistry } from '../lib/images.js';

createFrameproofApp({ mode: 'cdk', imageRegistry: imageRegistry(undefined, process.env) });
