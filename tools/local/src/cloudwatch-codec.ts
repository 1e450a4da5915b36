// Reads a CloudWatch request in whichever protocol the client speaks (decided by its headers) and
// answers in the same one: AWS JSON 1.0 (what @aws-sdk/client-cloudwatch 3.1164 sends), Smithy
// RPC v2 CBOR (what newer AWS SDKs moved CloudWatch to) and AWS Query (the original).
import { Decoder, Encoder } from 'cbor-x'
import type { IncomingHttpHeaders } from 'node:http'
import { parseQueryRequest, toXml, xmlEscape } from './cloudwatch-query.js'
import type { CloudWatchProtocol } from './cloudwatch-types.js'

const serviceTarget = 'GraniteServiceVersion20100801'
const xmlNamespace = 'http://monitoring.amazonaws.com/doc/2010-08-01/'
const cborPath = new RegExp(`^/service/${serviceTarget}/operation/([A-Za-z]+)$`)

const cborDecoder = new Decoder({ mapsAsObjects: true, useRecords: false })
const cborEncoder = new Encoder({ mapsAsObjects: true, useRecords: false })

/** A request whose body could not be read in its protocol. */
export class MalformedRequestError extends Error {
  override readonly name: string = 'MalformedRequestError'
}

/** A request read into its operation and parameters (still raw: strings from Query, numbers from JSON). */
export interface DecodedRequest {
  readonly protocol: CloudWatchProtocol
  readonly operation: string
  readonly params: Record<string, unknown>
}

/** An HTTP answer. */
export interface EncodedResponse {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: Buffer
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name]
  return (Array.isArray(value) ? value[0] : value) ?? ''
}

function asObject(value: unknown, protocol: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedRequestError(`${protocol} body is not an object`)
  }
  return value as Record<string, unknown>
}

/** Which protocol a request uses, from its headers and path; undefined when none fits. */
export function detectProtocol(
  headers: IncomingHttpHeaders,
  path: string,
): CloudWatchProtocol | undefined {
  const contentType = header(headers, 'content-type').toLowerCase()
  if (
    header(headers, 'smithy-protocol') === 'rpc-v2-cbor' ||
    contentType.startsWith('application/cbor') ||
    cborPath.test(path)
  )
    return 'cbor'
  if (header(headers, 'x-amz-target') !== '') return 'json'
  if (contentType.startsWith('application/x-www-form-urlencoded')) return 'query'
  return undefined
}

/** Reads the (already decompressed) body of a request in `protocol`. */
export function decodeRequest(
  protocol: CloudWatchProtocol,
  headers: IncomingHttpHeaders,
  path: string,
  body: Buffer,
): DecodedRequest {
  switch (protocol) {
    case 'cbor': {
      const operation = cborPath.exec(path)?.[1]
      if (operation === undefined)
        throw new MalformedRequestError(`CBOR request to unexpected path ${path}`)
      let value: unknown
      try {
        value = body.length === 0 ? {} : cborDecoder.decode(body)
      } catch (error) {
        throw new MalformedRequestError(`CBOR body does not decode: ${String(error)}`)
      }
      return { protocol, operation, params: asObject(value, 'CBOR') }
    }
    case 'json': {
      const target = header(headers, 'x-amz-target')
      const [service, operation] = target.split('.')
      if (service !== serviceTarget || operation === undefined)
        throw new MalformedRequestError(`unexpected X-Amz-Target ${target}`)
      let value: unknown
      try {
        value = body.length === 0 ? {} : JSON.parse(body.toString('utf8'))
      } catch (error) {
        throw new MalformedRequestError(`JSON body does not parse: ${String(error)}`)
      }
      return { protocol, operation, params: asObject(value, 'JSON') }
    }
    case 'query': {
      const { action, params } = parseQueryRequest(body.toString('utf8'))
      if (action === '') throw new MalformedRequestError('Query request without Action')
      return { protocol, operation: action, params }
    }
  }
}

// JSON carries timestamps as epoch seconds; CBOR as tag 1 (cbor-x writes a Date that way).
function jsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000
  if (Array.isArray(value)) return value.map(jsonValue)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, jsonValue(v)]),
    )
  }
  return value
}

function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined)
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, withoutUndefined(v)]),
    )
  }
  return value
}

/** A successful answer to `operation` with `result` (the operation's output fields). */
export function encodeResult(
  protocol: CloudWatchProtocol,
  operation: string,
  result: Record<string, unknown>,
  requestId: string,
): EncodedResponse {
  switch (protocol) {
    case 'json':
      return {
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId },
        body: Buffer.from(JSON.stringify(jsonValue(result))),
      }
    case 'cbor':
      return {
        status: 200,
        headers: {
          'content-type': 'application/cbor',
          'smithy-protocol': 'rpc-v2-cbor',
          'x-amzn-requestid': requestId,
        },
        body: Buffer.from(cborEncoder.encode(withoutUndefined(result))),
      }
    case 'query': {
      const inner =
        Object.keys(result).length === 0
          ? ''
          : `<${operation}Result>${toXml(result)}</${operation}Result>`
      const xml = `<${operation}Response xmlns="${xmlNamespace}">${inner}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`
      return {
        status: 200,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body: Buffer.from(xml),
      }
    }
  }
}

// Error shapes of CloudWatch's model, by their Query error code, so the SDK raises the modeled class.
const errorShapes: Readonly<Record<string, string>> = {
  InvalidParameterValue: 'InvalidParameterValueException',
  MissingParameter: 'MissingRequiredParameterException',
  InvalidParameterCombination: 'InvalidParameterCombinationException',
  InternalServiceError: 'InternalServiceFault',
}

/**
 * An error answer. The query-compatible header (`x-amzn-query-error: Code;Sender`) is what the SDK
 * reads for the error's name with JSON and CBOR, since CloudWatch's model is Query-compatible.
 */
export function encodeError(
  protocol: CloudWatchProtocol,
  status: number,
  code: string,
  message: string,
  requestId: string,
): EncodedResponse {
  const fault = status >= 500 ? 'Receiver' : 'Sender'
  const common = { 'x-amzn-requestid': requestId, 'x-amzn-query-error': `${code};${fault}` }
  const errorBody = { __type: `com.amazonaws.cloudwatch#${errorShapes[code] ?? code}`, message }
  switch (protocol) {
    case 'json':
      return {
        status,
        headers: { ...common, 'content-type': 'application/x-amz-json-1.0' },
        body: Buffer.from(JSON.stringify(errorBody)),
      }
    case 'cbor':
      return {
        status,
        headers: {
          ...common,
          'content-type': 'application/cbor',
          'smithy-protocol': 'rpc-v2-cbor',
        },
        body: Buffer.from(cborEncoder.encode(errorBody)),
      }
    case 'query': {
      const xml = `<ErrorResponse xmlns="${xmlNamespace}"><Error><Type>${fault}</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
      return { status, headers: { ...common, 'content-type': 'text/xml' }, body: Buffer.from(xml) }
    }
  }
}
