#!/usr/bin/env node
// The `duet-migrate` executable: the CLI of the built package.
import { main } from '../dist/index.mjs';

process.exitCode = main(process.argv.slice(2));
