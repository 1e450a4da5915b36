// @kine/cli: the `kine` command. oclif finds the commands through COMMANDS (package.json's
// `oclif.commands`, explicit strategy), the one export of this file.
import { Leases } from './commands/leases.js'
import { Ls } from './commands/ls.js'
import { Pull } from './commands/pull.js'

/** The commands of `kine`, by id. */
export const COMMANDS = {
  ls: Ls,
  pull: Pull,
  leases: Leases,
}
