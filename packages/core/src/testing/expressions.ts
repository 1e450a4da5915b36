// Condition and update expressions, parsed and evaluated as DynamoDB does for top-level attributes.
// Anything outside the supported grammar (nested paths, list functions, ...) is refused with a
// ValidationException naming it: a fake that silently passed an expression it did not understand
// would let a test pass that DynamoDB fails.

import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { validationError } from './errors.js'
import { addNumbers, compareNumbers } from './numbers.js'

export type Item = Record<string, AttributeValue>

interface Token {
  readonly kind: 'name' | 'value' | 'word' | 'op'
  readonly text: string
}

/** Operand of a condition or of a SET: an attribute, a value, or a function of them. */
type Operand =
  | { readonly kind: 'path'; readonly name: string }
  | { readonly kind: 'value'; readonly value: AttributeValue }
  | { readonly kind: 'size'; readonly name: string }
  | { readonly kind: 'if_not_exists'; readonly name: string; readonly fallback: Operand }

export type Condition =
  | { readonly kind: 'and' | 'or'; readonly left: Condition; readonly right: Condition }
  | { readonly kind: 'not'; readonly inner: Condition }
  | {
      readonly kind: 'compare'
      readonly op: string
      readonly left: Operand
      readonly right: Operand
    }
  | {
      readonly kind: 'between'
      readonly subject: Operand
      readonly low: Operand
      readonly high: Operand
    }
  | { readonly kind: 'in'; readonly subject: Operand; readonly options: readonly Operand[] }
  | { readonly kind: 'exists'; readonly name: string; readonly negate: boolean }
  | { readonly kind: 'begins_with'; readonly name: string; readonly prefix: Operand }

type SetValue =
  | Operand
  | {
      readonly kind: 'arith'
      readonly op: '+' | '-'
      readonly left: Operand
      readonly right: Operand
    }

export type UpdateAction =
  | { readonly kind: 'SET'; readonly name: string; readonly value: SetValue }
  | { readonly kind: 'REMOVE'; readonly name: string }
  | { readonly kind: 'ADD' | 'DELETE'; readonly name: string; readonly value: AttributeValue }

/** Placeholders of one request; records which ones the expressions used. */
export class Placeholders {
  readonly usedNames: Set<string> = new Set<string>()
  readonly usedValues: Set<string> = new Set<string>()

  constructor(
    private readonly names: Record<string, string> = {},
    private readonly values: Item = {},
  ) {}

  name(placeholder: string): string {
    const name = this.names[placeholder]
    if (name === undefined) {
      throw validationError(
        `Value provided in ExpressionAttributeNames unused in expressions or undefined: An expression attribute name used in the document path is not defined; attribute name: ${placeholder}`,
      )
    }
    this.usedNames.add(placeholder)
    return name
  }

  value(placeholder: string): AttributeValue {
    const value = this.values[placeholder]
    if (value === undefined) {
      throw validationError(
        `An expression attribute value used in expression is not defined; attribute value: ${placeholder}`,
      )
    }
    this.usedValues.add(placeholder)
    return value
  }

  /** DynamoDB refuses placeholders that no expression uses. */
  checkAllUsed(): void {
    const unusedNames = Object.keys(this.names).filter((n) => !this.usedNames.has(n))
    if (unusedNames.length > 0) {
      throw validationError(
        `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
      )
    }
    const unusedValues = Object.keys(this.values).filter((v) => !this.usedValues.has(v))
    if (unusedValues.length > 0) {
      throw validationError(
        `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
      )
    }
  }
}

const OPERATORS = ['<>', '<=', '>=', '=', '<', '>', '(', ')', ',', '+', '-', '.', '[', ']']

function tokenize(expression: string, what: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < expression.length) {
    const rest = expression.slice(i)
    const space = /^\s+/.exec(rest)
    if (space) {
      i += space[0].length
      continue
    }
    const placeholder = /^([#:])[A-Za-z0-9_]+/.exec(rest)
    if (placeholder) {
      tokens.push({ kind: placeholder[1] === '#' ? 'name' : 'value', text: placeholder[0] })
      i += placeholder[0].length
      continue
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)
    if (word) {
      tokens.push({ kind: 'word', text: word[0] })
      i += word[0].length
      continue
    }
    const op = OPERATORS.find((o) => rest.startsWith(o))
    if (op === undefined) {
      throw validationError(`Invalid ${what}: Syntax error; token: "${rest.slice(0, 10)}"`)
    }
    tokens.push({ kind: 'op', text: op })
    i += op.length
  }
  return tokens
}

class Parser {
  #pos = 0

  constructor(
    private readonly tokens: Token[],
    private readonly what: string,
    private readonly placeholders: Placeholders,
  ) {}

  fail(message: string): never {
    const near = this.tokens
      .slice(this.#pos, this.#pos + 3)
      .map((t) => t.text)
      .join(' ')
    throw validationError(`Invalid ${this.what}: ${message}${near ? `; near: "${near}"` : ''}`)
  }

  peek(offset = 0): Token | undefined {
    return this.tokens[this.#pos + offset]
  }

  atEnd(): boolean {
    return this.#pos >= this.tokens.length
  }

  isWord(word: string, offset = 0): boolean {
    const t = this.peek(offset)
    return t?.kind === 'word' && t.text.toUpperCase() === word
  }

  isOp(op: string): boolean {
    const t = this.peek()
    return t?.kind === 'op' && t.text === op
  }

  next(): Token {
    const t = this.tokens[this.#pos]
    if (t === undefined) this.fail('Syntax error; unexpected end of expression')
    this.#pos += 1
    return t
  }

  expectOp(op: string): void {
    if (!this.isOp(op)) this.fail(`Syntax error; expected "${op}"`)
    this.#pos += 1
  }

  /** A top-level attribute: `#placeholder` or a plain name. */
  path(): string {
    const t = this.next()
    let name: string
    if (t.kind === 'name') name = this.placeholders.name(t.text)
    else if (t.kind === 'word') name = t.text
    else this.fail(`Syntax error; expected an attribute, got "${t.text}"`)
    if (this.isOp('.') || this.isOp('[')) {
      this.fail('nested attribute paths are not supported by InMemoryDynamoDB')
    }
    return name
  }

  operand(): Operand {
    const t = this.peek()
    if (t?.kind === 'value') {
      this.next()
      return { kind: 'value', value: this.placeholders.value(t.text) }
    }
    if (t?.kind === 'word' && this.peek(1)?.text === '(') {
      const fn = t.text
      this.next()
      this.expectOp('(')
      if (fn === 'size') {
        const name = this.path()
        this.expectOp(')')
        return { kind: 'size', name }
      }
      if (fn === 'if_not_exists') {
        const name = this.path()
        this.expectOp(',')
        const fallback = this.operand()
        this.expectOp(')')
        return { kind: 'if_not_exists', name, fallback }
      }
      this.fail(`function ${fn} is not supported here by InMemoryDynamoDB`)
    }
    return { kind: 'path', name: this.path() }
  }

  // ---- conditions ----

  condition(): Condition {
    let left = this.conjunction()
    while (this.isWord('OR')) {
      this.next()
      left = { kind: 'or', left, right: this.conjunction() }
    }
    return left
  }

  conjunction(): Condition {
    let left = this.negation()
    while (this.isWord('AND')) {
      this.next()
      left = { kind: 'and', left, right: this.negation() }
    }
    return left
  }

  negation(): Condition {
    if (this.isWord('NOT')) {
      this.next()
      return { kind: 'not', inner: this.negation() }
    }
    return this.primary()
  }

  primary(): Condition {
    if (this.isOp('(')) {
      this.next()
      const inner = this.condition()
      this.expectOp(')')
      return inner
    }
    const t = this.peek()
    if (t?.kind === 'word' && this.peek(1)?.text === '(' && t.text !== 'size') {
      this.next()
      this.expectOp('(')
      switch (t.text) {
        case 'attribute_exists':
        case 'attribute_not_exists': {
          const name = this.path()
          this.expectOp(')')
          return { kind: 'exists', name, negate: t.text === 'attribute_not_exists' }
        }
        case 'begins_with': {
          const name = this.path()
          this.expectOp(',')
          const prefix = this.operand()
          this.expectOp(')')
          return { kind: 'begins_with', name, prefix }
        }
        default:
          this.fail(`function ${t.text} is not supported by InMemoryDynamoDB`)
      }
    }
    const left = this.operand()
    if (this.isWord('BETWEEN')) {
      this.next()
      const low = this.operand()
      if (!this.isWord('AND')) this.fail('Syntax error; BETWEEN needs AND')
      this.next()
      return { kind: 'between', subject: left, low, high: this.operand() }
    }
    if (this.isWord('IN')) {
      this.next()
      this.expectOp('(')
      const options = [this.operand()]
      while (this.isOp(',')) {
        this.next()
        options.push(this.operand())
      }
      this.expectOp(')')
      return { kind: 'in', subject: left, options }
    }
    const op = this.next()
    if (op.kind !== 'op' || !['=', '<>', '<', '<=', '>', '>='].includes(op.text)) {
      this.fail(`Syntax error; expected a comparator, got "${op.text}"`)
    }
    return { kind: 'compare', op: op.text, left, right: this.operand() }
  }

  // ---- updates ----

  updates(): UpdateAction[] {
    const actions: UpdateAction[] = []
    const seen = new Set<string>()
    while (!this.atEnd()) {
      const clause = this.next()
      const keyword = clause.kind === 'word' ? clause.text.toUpperCase() : ''
      if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(keyword)) {
        this.fail(`Syntax error; expected SET, REMOVE, ADD or DELETE, got "${clause.text}"`)
      }
      if (seen.has(keyword)) this.fail(`The "${keyword}" section can only be used once`)
      seen.add(keyword)
      do {
        if (actions.length > 0 && this.isOp(',')) this.next()
        actions.push(this.action(keyword as UpdateAction['kind']))
      } while (this.isOp(','))
    }
    if (actions.length === 0) this.fail('Syntax error; empty update expression')
    const names = new Set<string>()
    for (const a of actions) {
      if (names.has(a.name)) {
        throw validationError(
          `Invalid ${this.what}: Two document paths overlap with each other; path: [${a.name}]`,
        )
      }
      names.add(a.name)
    }
    return actions
  }

  action(kind: UpdateAction['kind']): UpdateAction {
    const name = this.path()
    if (kind === 'REMOVE') return { kind, name }
    if (kind === 'SET') {
      this.expectOp('=')
      const left = this.operand()
      if (this.isOp('+') || this.isOp('-')) {
        const op = this.next().text as '+' | '-'
        return { kind, name, value: { kind: 'arith', op, left, right: this.operand() } }
      }
      return { kind, name, value: left }
    }
    const t = this.next()
    if (t.kind !== 'value') this.fail(`${kind} needs a value placeholder, got "${t.text}"`)
    return { kind, name, value: this.placeholders.value(t.text) }
  }
}

export function parseCondition(expression: string, placeholders: Placeholders): Condition {
  const parser = new Parser(
    tokenize(expression, 'ConditionExpression'),
    'ConditionExpression',
    placeholders,
  )
  const condition = parser.condition()
  if (!parser.atEnd()) parser.fail('Syntax error; unexpected token')
  return condition
}

export function parseUpdate(expression: string, placeholders: Placeholders): UpdateAction[] {
  return new Parser(
    tokenize(expression, 'UpdateExpression'),
    'UpdateExpression',
    placeholders,
  ).updates()
}

// ---- evaluation ----

function typeOf(v: AttributeValue): string {
  return (
    Object.keys(v).find((k) => (v as unknown as Record<string, unknown>)[k] !== undefined) ?? '?'
  )
}

function resolve(operand: Operand, item: Item): AttributeValue | undefined {
  switch (operand.kind) {
    case 'value':
      return operand.value
    case 'path':
      return item[operand.name]
    case 'if_not_exists':
      return item[operand.name] ?? resolve(operand.fallback, item)
    case 'size': {
      const v = item[operand.name]
      if (v === undefined) return undefined
      const n =
        v.S !== undefined
          ? Buffer.byteLength(v.S, 'utf8')
          : v.B !== undefined
            ? v.B.byteLength
            : (v.SS ?? v.NS ?? v.BS ?? v.L ?? (v.M ? Object.keys(v.M) : undefined))?.length
      return n === undefined ? undefined : { N: String(n) }
    }
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d < 0 ? -1 : 1
  }
  return a.length - b.length
}

/** DynamoDB equality: same type and value; sets regardless of order; numbers by value. */
export function valuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  const type = typeOf(a)
  if (type !== typeOf(b)) return false
  switch (type) {
    case 'S':
      return a.S === b.S
    case 'N':
      return compareNumbers(a.N as string, b.N as string) === 0
    case 'B':
      return bytesEqual(a.B as Uint8Array, b.B as Uint8Array)
    case 'BOOL':
      return a.BOOL === b.BOOL
    case 'NULL':
      return true
    case 'SS': {
      const x = new Set(a.SS)
      return x.size === new Set(b.SS).size && (b.SS ?? []).every((s) => x.has(s))
    }
    case 'NS': {
      const x = a.NS ?? []
      const y = b.NS ?? []
      return x.length === y.length && x.every((n) => y.some((m) => compareNumbers(n, m) === 0))
    }
    case 'BS': {
      const x = a.BS ?? []
      const y = b.BS ?? []
      return x.length === y.length && x.every((n) => y.some((m) => bytesEqual(n, m)))
    }
    case 'L': {
      const x = a.L ?? []
      const y = b.L ?? []
      return x.length === y.length && x.every((e, i) => y[i] !== undefined && valuesEqual(e, y[i]))
    }
    case 'M': {
      const x = a.M ?? {}
      const y = b.M ?? {}
      const keys = Object.keys(x)
      return (
        keys.length === Object.keys(y).length &&
        keys.every((k) => y[k] !== undefined && valuesEqual(x[k] as AttributeValue, y[k]))
      )
    }
    default:
      return false
  }
}

/** Ordering of two scalars of one type (S, N or B); undefined when they cannot be ordered. */
function order(a: AttributeValue, b: AttributeValue): number | undefined {
  const type = typeOf(a)
  if (type !== typeOf(b)) return undefined
  if (type === 'N') return compareNumbers(a.N as string, b.N as string)
  if (type === 'S') {
    const [x, y] = [Buffer.from(a.S as string, 'utf8'), Buffer.from(b.S as string, 'utf8')]
    return compareBytes(x, y)
  }
  if (type === 'B') return compareBytes(a.B as Uint8Array, b.B as Uint8Array)
  return undefined
}

/**
 * Evaluates a condition on an item (`{}` for a missing one). A comparison with a missing attribute
 * or values of different types is false, except `<>`, which is then true, as in DynamoDB.
 */
export function evaluate(condition: Condition, item: Item): boolean {
  switch (condition.kind) {
    case 'and':
      return evaluate(condition.left, item) && evaluate(condition.right, item)
    case 'or':
      return evaluate(condition.left, item) || evaluate(condition.right, item)
    case 'not':
      return !evaluate(condition.inner, item)
    case 'exists':
      return (item[condition.name] !== undefined) !== condition.negate
    case 'begins_with': {
      const v = item[condition.name]
      const p = resolve(condition.prefix, item)
      if (v?.S !== undefined && p?.S !== undefined) return v.S.startsWith(p.S)
      if (v?.B !== undefined && p?.B !== undefined) {
        return bytesEqual(v.B.subarray(0, p.B.byteLength), p.B)
      }
      return false
    }
    case 'in': {
      const v = resolve(condition.subject, item)
      return (
        v !== undefined &&
        condition.options.some((o) => {
          const w = resolve(o, item)
          return w !== undefined && valuesEqual(v, w)
        })
      )
    }
    case 'between': {
      const v = resolve(condition.subject, item)
      const low = resolve(condition.low, item)
      const high = resolve(condition.high, item)
      if (v === undefined || low === undefined || high === undefined) return false
      const a = order(v, low)
      const b = order(v, high)
      return a !== undefined && b !== undefined && a >= 0 && b <= 0
    }
    case 'compare': {
      const a = resolve(condition.left, item)
      const b = resolve(condition.right, item)
      if (condition.op === '<>') return a === undefined || b === undefined || !valuesEqual(a, b)
      if (a === undefined || b === undefined) return false
      if (condition.op === '=') return valuesEqual(a, b)
      const c = order(a, b)
      if (c === undefined) return false
      if (condition.op === '<') return c < 0
      if (condition.op === '<=') return c <= 0
      if (condition.op === '>') return c > 0
      return c >= 0
    }
  }
}

function missingAttribute(what: string): never {
  throw validationError(
    `The provided expression refers to an attribute that does not exist in the item${what ? `: ${what}` : ''}`,
  )
}

function setValue(value: SetValue, item: Item): AttributeValue {
  if (value.kind !== 'arith') {
    const v = resolve(value, item)
    if (v === undefined) missingAttribute(value.kind === 'path' ? value.name : '')
    return v
  }
  const left = setValue(value.left, item)
  const right = setValue(value.right, item)
  if (left.N === undefined || right.N === undefined) {
    throw validationError('An operand in the update expression has an incorrect data type')
  }
  return { N: addNumbers(left.N, right.N, value.op === '+' ? 1 : -1) }
}

function setUnion(kind: 'SS' | 'NS', old: string[], add: string[]): string[] {
  const out = [...old]
  for (const x of add) {
    const present = kind === 'NS' ? out.some((y) => compareNumbers(x, y) === 0) : out.includes(x)
    if (!present) out.push(x)
  }
  return out
}

/**
 * Applies update actions to a copy of `old` (`{}` for a missing item). Every right-hand side is
 * read from the item as it was before the update, as DynamoDB does.
 */
export function applyUpdate(actions: readonly UpdateAction[], old: Item): Item {
  const next: Item = { ...old }
  for (const action of actions) {
    switch (action.kind) {
      case 'SET':
        next[action.name] = setValue(action.value, old)
        break
      case 'REMOVE':
        delete next[action.name]
        break
      case 'ADD': {
        const current = old[action.name]
        const add = action.value
        if (add.N !== undefined) {
          if (current === undefined) next[action.name] = { N: addNumbers('0', add.N) }
          else if (current.N !== undefined) next[action.name] = { N: addNumbers(current.N, add.N) }
          else
            throw validationError('An operand in the update expression has an incorrect data type')
        } else if (add.SS !== undefined || add.NS !== undefined || add.BS !== undefined) {
          const kind = typeOf(add) as 'SS' | 'NS' | 'BS'
          if (current !== undefined && typeOf(current) !== kind) {
            throw validationError('An operand in the update expression has an incorrect data type')
          }
          if (kind === 'BS') {
            const old = current?.BS ?? []
            next[action.name] = {
              BS: [...old, ...(add.BS ?? []).filter((b) => !old.some((o) => bytesEqual(o, b)))],
            }
          } else if (kind === 'SS') {
            next[action.name] = { SS: setUnion('SS', current?.SS ?? [], add.SS ?? []) }
          } else {
            next[action.name] = { NS: setUnion('NS', current?.NS ?? [], add.NS ?? []) }
          }
        } else {
          throw validationError(
            'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD',
          )
        }
        break
      }
      case 'DELETE': {
        const current = old[action.name]
        const remove = action.value
        const kind = typeOf(remove)
        if (kind !== 'SS' && kind !== 'NS' && kind !== 'BS') {
          throw validationError(
            'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE',
          )
        }
        if (current === undefined) break
        if (typeOf(current) !== kind) {
          throw validationError('An operand in the update expression has an incorrect data type')
        }
        let left: AttributeValue
        if (kind === 'SS') left = { SS: (current.SS ?? []).filter((s) => !remove.SS?.includes(s)) }
        else if (kind === 'NS') {
          left = {
            NS: (current.NS ?? []).filter(
              (n) => !(remove.NS ?? []).some((m) => compareNumbers(n, m) === 0),
            ),
          }
        } else {
          left = {
            BS: (current.BS ?? []).filter((b) => !(remove.BS ?? []).some((m) => bytesEqual(b, m))),
          }
        }
        const size = (left.SS ?? left.NS ?? left.BS ?? []).length
        if (size === 0) delete next[action.name]
        else next[action.name] = left
        break
      }
    }
  }
  return next
}
