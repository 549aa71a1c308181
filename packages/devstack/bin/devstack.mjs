#!/usr/bin/env node
// The dev stack is written in TypeScript and runs through tsx, like the rest of
// the project's tooling: no build step between an edit and the next start.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
