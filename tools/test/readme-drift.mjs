// Reads both sides of a README drift test: what a package's source exports (names, option keys),
// found by the TypeScript compiler at run time, and what its README lists. The tests compare the
// two, so neither side is a hand-kept copy of the other.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import ts from 'typescript'

/** @type {Map<string, ts.Program>} */
const programs = new Map()

/** The program of `entry`, compiled with the options of the nearest tsconfig.json. */
function programOf(entry) {
  let program = programs.get(entry)
  if (program !== undefined) return program
  const configPath = ts.findConfigFile(dirname(entry), ts.sys.fileExists, 'tsconfig.json')
  if (configPath === undefined) throw new Error(`no tsconfig.json above ${entry}`)
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile)
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath))
  const compilerOptions = { ...options, noEmit: true, noLib: true, types: [] }
  // Only the package's own modules are read (no lib, no node_modules): names and declared members
  // need nothing else, and leaving out the SDK's declarations keeps this to a second or two.
  const host = ts.createCompilerHost(compilerOptions)
  host.resolveModuleNameLiterals = (literals, containingFile) =>
    literals.map((literal) => ({
      resolvedModule: literal.text.startsWith('.')
        ? ts.resolveModuleName(literal.text, containingFile, compilerOptions, host).resolvedModule
        : undefined,
    }))
  program = ts.createProgram({ rootNames: [entry], options: compilerOptions, host })
  programs.set(entry, program)
  return program
}

function moduleSymbol(entry) {
  const program = programOf(entry)
  const file = program.getSourceFile(entry)
  if (file === undefined) throw new Error(`${entry} is not in its program`)
  const symbol = program.getTypeChecker().getSymbolAtLocation(file)
  if (symbol === undefined) throw new Error(`${entry} is not a module`)
  return { checker: program.getTypeChecker(), symbol }
}

/** Every name `entry` exports, values and types, sorted. */
export function moduleExports(entry) {
  const { checker, symbol } = moduleSymbol(entry)
  return checker
    .getExportsOfModule(symbol)
    .map((s) => s.name)
    .sort()
}

/**
 * The property names of the interface or object type `typeName` that `entry` exports, inherited
 * ones included, leaving out those whose doc comment is tagged `@internal`; sorted.
 */
export function optionKeys(entry, typeName) {
  const { checker, symbol } = moduleSymbol(entry)
  let exported = checker.getExportsOfModule(symbol).find((s) => s.name === typeName)
  if (exported === undefined) throw new Error(`${entry} does not export ${typeName}`)
  if (exported.flags & ts.SymbolFlags.Alias) exported = checker.getAliasedSymbol(exported)
  return checker
    .getPropertiesOfType(checker.getDeclaredTypeOfSymbol(exported))
    .filter((p) => !p.getJsDocTags(checker).some((tag) => tag.name === 'internal'))
    .map((p) => p.name)
    .sort()
}

/** The README of the package whose folder is `packageDir`. */
export function readReadme(packageDir) {
  return readFileSync(join(packageDir, 'README.md'), 'utf8')
}

/** The text under the heading `heading` (e.g. `## Options`), up to the next heading of its level. */
export function section(readme, heading) {
  const lines = readme.split('\n')
  const start = lines.indexOf(heading)
  if (start === -1) throw new Error(`the README has no "${heading}" heading`)
  const level = heading.slice(0, heading.indexOf(' ') + 1)
  const rest = lines.slice(start + 1)
  const end = rest.findIndex((line) => line.startsWith(level))
  return (end === -1 ? rest : rest.slice(0, end)).join('\n')
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*/

/** Identifiers in backticks in `text` (`name(args)` counts as `name`). */
function backticked(text) {
  return [...text.matchAll(/`([^`]+)`/g)].flatMap((m) => m[1].match(IDENTIFIER) ?? [])
}

/**
 * The names a section lists, one bullet per entry (continued on indented lines): the backticked
 * names before the bullet's first `: ` (`- \`ShardReader\`, \`readShard\`: reads a shard`). Sorted.
 */
export function listedNames(text) {
  const bullets = []
  for (const line of text.split('\n')) {
    if (line.startsWith('- ')) bullets.push(line)
    else if (line.startsWith('  ') && bullets.length > 0)
      bullets.push(`${bullets.pop()} ${line.trim()}`)
  }
  return bullets
    .flatMap((bullet) => {
      const colon = bullet.indexOf(': ')
      return backticked(colon === -1 ? bullet : bullet.slice(0, colon))
    })
    .sort()
}

/** Each markdown table of `text`, as the backticked names of its first column (header excluded). */
export function tableFirstColumns(text) {
  const tables = []
  let current
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      current = undefined
      continue
    }
    if (current === undefined) {
      current = { header: true, names: [] }
      tables.push(current)
      continue
    }
    if (/^\|[\s:|-]+\|$/.test(line)) continue
    current.names.push(...backticked(line.split('|')[1] ?? ''))
  }
  return tables.map((t) => t.names.sort())
}
