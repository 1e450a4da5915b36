#!/usr/bin/env node
// Opens a store with each native addon the emulators load, under the Node running this script.
// node_modules is installed once and shared by every Node line CI tests (.ci/run); this holds
// because both addons are Node-API builds (one binary for every Node version). An addon that is
// built for one Node ABI fails here, by name, instead of as an emulator that does not start.
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const fromLocal = createRequire(new URL('../local/package.json', import.meta.url))
/** How each addon is reached: dynalite -> level -> classic-level; kinesalite -> leveldown. */
const addons = [
  {
    name: 'classic-level (dynalite)',
    load: () => createRequire(fromLocal.resolve('dynalite'))('level').Level,
    check: async (Level, dir) => {
      const db = new Level(dir)
      await db.put('k', 'v')
      const value = await db.get('k')
      await db.close()
      return value
    },
  },
  {
    name: 'leveldown (kinesalite)',
    load: () => createRequire(fromLocal.resolve('kinesalite'))('leveldown'),
    check: (leveldown, dir) =>
      new Promise((resolve, reject) => {
        const db = leveldown(dir)
        const done = (value) => (err) => (err ? reject(err) : resolve(value))
        db.open((err) => {
          if (err) return reject(err)
          db.put('k', 'v', (err) => {
            if (err) return reject(err)
            db.get('k', { asBuffer: false }, (err, value) => {
              if (err) return reject(err)
              db.close(done(value))
            })
          })
        })
      }),
  },
]

let failed = 0
for (const addon of addons) {
  const dir = mkdtempSync(join(tmpdir(), 'kine-addon-'))
  try {
    const value = await addon.check(addon.load(), dir)
    if (value !== 'v') throw new Error(`read back ${JSON.stringify(value)} instead of "v"`)
    console.log(`${addon.name}: works on Node ${process.version}`)
  } catch (err) {
    failed++
    console.error(`${addon.name}: fails on Node ${process.version}: ${err.message}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
process.exit(failed === 0 ? 0 : 1)
