#!/usr/bin/env node
// Embedline runs its TypeScript sources directly through tsx (no build step to drift from the code).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
