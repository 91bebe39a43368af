// A camera picture for Chromium's fake capture device (--use-file-for-fake-video-capture): a
// YUV4MPEG2 (4:2:0) file of a few identical frames, with a grey-level picture centred on a light
// background, as a phone held up to the counter's camera would show it.
import { openSync, writeSync, closeSync } from "node:fs";

/**
 * Writes `file`: `frames` frames of `width`x`height`, `luma` (a `size`x`size` array of 0-255
 * grey levels, row by row) centred on a background of grey level `background`.
 */
export function writeY4m(file, { luma, size }, { width = 640, height = 480, frames = 8, background = 235 } = {}) {
  if (size > width || size > height) throw new Error("the picture does not fit the frame");
  if (width % 2 || height % 2) throw new Error("4:2:0 needs even dimensions");
  const y = Buffer.alloc(width * height, background);
  const left = (width - size) >> 1;
  const top = (height - size) >> 1;
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) y[(top + row) * width + left + col] = luma[row * size + col];
  }
  // No colour: both chroma planes at their neutral value.
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const fd = openSync(file, "w");
  try {
    writeSync(fd, `YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420\n`);
    for (let i = 0; i < frames; i++) {
      writeSync(fd, "FRAME\n");
      writeSync(fd, y);
      writeSync(fd, chroma);
    }
  } finally {
    closeSync(fd);
  }
}
