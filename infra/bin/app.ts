#!/usr/bin/env node
// The CDK app for `npx cdk synth|deploy` (run from infra/, in an account bootstrapped with
// `npx cdk bootstrap`). The launch templates come from `npm run synth` instead.
import { createFrameproofApp } from '../lib/app.js';

createFrameproofApp({ mode: 'cdk' });
