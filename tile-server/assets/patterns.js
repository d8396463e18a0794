// The fill patterns that give risk levels a second channel besides colour, for readers
// who cannot tell red from orange: 重大 cross-hatched, 较大 hatched one way. Drawn here,
// so that nothing is fetched; the styles name them in fill-pattern (styles/README.md).
// A classic script, shared by the viewer and the offline bundle's viewer.
(function () {
  'use strict';
  const SIZE = 10;
  function hatch(cross) {
    const data = new Uint8Array(SIZE * SIZE * 4);
    const ink = (x, y) => {
      const i = (y * SIZE + x) * 4;
      data[i + 3] = 140; // black at 55 % (the layers' opacity lightens it further)
    };
    for (let i = 0; i < SIZE; i++) {
      ink(i, SIZE - 1 - i); // "/", continuous across repeats
      if (cross) ink(i, i); // "\"
    }
    return { width: SIZE, height: SIZE, data };
  }
  const IMAGES = {
    'riskmap-hatch-major': () => hatch(true),
    'riskmap-hatch-significant': () => hatch(false),
  };
  /** Adds the pattern a style asks for (call it from MapLibre's styleimagemissing event). */
  function provide(map, id) {
    const make = IMAGES[id];
    if (make && !map.hasImage(id)) map.addImage(id, make());
  }
  window.riskmapPatterns = { provide, ids: Object.keys(IMAGES) };
})();
