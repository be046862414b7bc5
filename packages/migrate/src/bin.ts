#!/usr/bin/env node
/** The `duet-migrate` executable. */
import { main } from './cli';

process.exitCode = main(process.argv.slice(2));
