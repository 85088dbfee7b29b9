// Node 20 lacks Promise.withResolvers, which js-ipfs 0.66 dependencies call; preload with `node -r`.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function () {
    let resolve, reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}
