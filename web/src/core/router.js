// The router: the view the hash names, rendered by the function the entry
// module gives (setRender).

let render = null;
export function setRender(fn) {
  render = fn;
}

// One rendering at a time: a route asked for while one runs renders again
// after it, so that a slower, older answer never covers a newer view.
let routing = null;
export function route() {
  if (routing) {
    route.again = true;
    return routing;
  }
  routing = (async () => {
    do {
      route.again = false;
      await render();
    } while (route.again);
  })().finally(() => { routing = null; });
  return routing;
}
