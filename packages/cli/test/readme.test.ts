// The README documents every command and every flag (a flag added without a line there fails here).
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { COMMANDS } from '../src/index.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

describe('README', () => {
  for (const [id, command] of Object.entries(COMMANDS)) {
    it(`documents kine ${id} and each of its flags`, () => {
      expect(readme).toContain(`## \`kine ${id} `)
      const flags = {
        ...command.baseFlags,
        ...command.flags,
        ...(command.enableJsonFlag ? { json: { char: undefined } } : {}),
      }
      for (const [name, flag] of Object.entries(flags)) {
        expect(readme, `--${name} of kine ${id}`).toContain(`--${name}`)
        const char = (flag as { char?: string }).char
        if (char !== undefined)
          expect(readme, `-${char} of kine ${id}`).toContain(`\`-${char}, --${name}`)
      }
    })
  }
})
