#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, resolved from this package (not from the caller's cwd).
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
