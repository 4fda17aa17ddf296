#!/usr/bin/env -S node --max-semi-space-size=4
/** The `lanyard` command. Every verb has --help. */
import { Command } from 'commander';
import { registerAudit } from './cli/audit.js';
import { registerCheckConfig } from './cli/check-config.js';
import { registerDevices } from './cli/devices.js';
import { registerServe } from './cli/serve.js';
import { registerSessions } from './cli/sessions.js';
import { registerTokens } from './cli/tokens.js';

const program = new Command();
program
  .name('lanyard')
  .description('Network access controller for schools: RADIUS MAB/PAP/CHAP with per-device VLANs and filter profiles')
  .version('0.1.0')
  .showHelpAfterError();

registerServe(program);
registerCheckConfig(program);
registerDevices(program);
registerTokens(program);
registerAudit(program);
registerSessions(program);

await program.parseAsync(process.argv);
