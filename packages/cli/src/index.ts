// @kine/cli: the `kine` command. oclif finds the commands through COMMANDS (package.json's
// `oclif.commands`, explicit strategy), so every command is a named export of this file.
import { Leases } from './commands/leases.js'
import { Ls } from './commands/ls.js'
import { Pull } from './commands/pull.js'

/** The commands of `kine`, by id. */
export const COMMANDS = {
  ls: Ls,
  pull: Pull,
  leases: Leases,
}

export { Leases, Ls, Pull }
export { KineCommand, awsFlags, type AwsFlagValues } from './base-command.js'
export { CLI_ERROR_CODES, type CliErrorCode, type CliJsonError } from './cli-errors.js'
