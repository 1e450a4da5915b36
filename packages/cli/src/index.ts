// @kine/cli: the `kine` command. oclif finds the commands through COMMANDS (package.json's
// `oclif.commands`, explicit strategy); and the types of what `--json` prints when a command fails.
import { Leases } from './commands/leases.js'
import { Ls } from './commands/ls.js'
import { Pull } from './commands/pull.js'

export { CLI_ERROR_CODES, type CliErrorCode, type CliJsonError } from './cli-errors.js'

/** The commands of `kine`, by id. */
export const COMMANDS = {
  ls: Ls,
  pull: Pull,
  leases: Leases,
}
