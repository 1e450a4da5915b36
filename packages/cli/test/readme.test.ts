// The README documents every command and every flag (a flag added without a line there fails
// here), and each flag table lists only flags that exist.
import { readFileSync } from 'node:fs'
import { section } from '@kine-tools/test/readme-drift'
import { describe, expect, it } from 'vitest'
import { COMMANDS } from '../src/index.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

/** The long names of the flags in the first column of `text`'s tables, sorted. */
function tableFlags(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('| `-'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/--([a-z][\w-]*)/g)])
    .map((m) => m[1] ?? '')
    .sort()
}

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

    it(`lists exactly the flags of kine ${id} in its table`, () => {
      const heading = readme.split('\n').find((line) => line.startsWith(`## \`kine ${id} `))
      expect(heading, `a heading for kine ${id}`).toBeDefined()
      const own = [...Object.keys(command.flags), ...(command.enableJsonFlag ? ['json'] : [])]
      expect(tableFlags(section(readme, heading ?? ''))).toEqual(own.sort())
    })

    it(`lists exactly the AWS flags kine ${id} takes under AWS settings`, () => {
      // `--help` comes from oclif's help plugin, not from kine's flags.
      const aws = [...Object.keys(command.baseFlags), 'help']
      expect(tableFlags(section(readme, '## AWS settings (every command)'))).toEqual(aws.sort())
    })
  }
})
