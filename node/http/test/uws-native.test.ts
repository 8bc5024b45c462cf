import { describe, expect, it } from 'vitest'
import { loadUws, uwsBinarySpecifier, UwsNativeUnavailableError } from '../uws-native.js'

describe('loadUws', () => {
  it('loads the native binary for this platform, arch and Node ABI', () => {
    expect(uwsBinarySpecifier()).toBe(`@trufflesuite/uws-js-unofficial/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`)
    const uws = loadUws()
    expect(typeof uws.App).toBe('function')
    // The JS fallback has no native listen-socket helpers; the binary does.
    expect(typeof uws.us_socket_local_port).toBe('function')
    expect(loadUws()).toBe(uws)
  })

  it('describes a failed load with a stable code, the binary tried and the Node version', () => {
    const err = new UwsNativeUnavailableError('@x/binaries/uws_linux_x64_999.node', new Error('Cannot find module'))
    expect(err.code).toBe('MELIPROXY_ERR_UWS_NATIVE_UNAVAILABLE')
    expect(err.name).toBe('UwsNativeUnavailableError')
    expect(err.binary).toBe('@x/binaries/uws_linux_x64_999.node')
    expect(err.message).toContain('uws_linux_x64_999.node')
    expect(err.message).toContain(process.versions.node)
    expect(err.message).toContain('Cannot find module')
  })
})
