// Everything here talks to emulators on loopback: the SDK's credential chain must never fall
// through to the instance metadata address, so this is set as soon as the package loads.
process.env.AWS_EC2_METADATA_DISABLED = 'true'

/** Host every emulator listens on and every client connects to. */
export const loopbackHost = '127.0.0.1'

/** Region given to every client and emulator. */
export const localRegion = 'us-east-1'

/**
 * Dummy static credentials: the emulators accept any signature, real AWS accepts none of these.
 * Not frozen: the SDK tags the credentials object it is given (`$source`), and a frozen one
 * makes every request fail with "Cannot set properties of undefined".
 */
export const localCredentials: { readonly accessKeyId: string; readonly secretAccessKey: string } =
  {
    accessKeyId: 'kinelocal',
    secretAccessKey: 'kinelocal',
  }

/** `http://127.0.0.1:<port>` */
export function loopbackEndpoint(port: number): string {
  return `http://${loopbackHost}:${port}`
}
