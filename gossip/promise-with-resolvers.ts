// Side-effect module: libp2p 3 calls Promise.withResolvers (Node 22+) at run time. On Node 20, without this,
// start-up and listen work but every dial fails with a misleading ECONNRESET. Import it before libp2p.

interface PromiseWithResolversShape<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

const PromiseConstructor = Promise as PromiseConstructor & { withResolvers?: unknown }

if (typeof PromiseConstructor.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor): PromiseWithResolversShape<T> {
      let resolve!: PromiseWithResolversShape<T>['resolve']
      let reject!: PromiseWithResolversShape<T>['reject']
      const promise = new this<T>((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    },
  })
}

export {}
