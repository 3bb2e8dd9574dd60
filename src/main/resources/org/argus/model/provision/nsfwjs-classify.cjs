// The predictor's oracle: nsfwjs@4.4.0's own classify() on @tensorflow/tfjs (pure-JS CPU backend).
// Usage: node nsfwjs-classify.cjs MODEL MANIFEST  (run by org.argus.model.provision.NsfwjsClient)
//   MODEL    nsfwjs model name: MobileNetV2 or InceptionV3
//   MANIFEST text file, one image per line: "ID rgb PATH HEIGHT WIDTH" (raw RGB bytes, row-major,
//            3 bytes per pixel) or "ID jpeg PATH" (decoded with jpeg-js, as nsfwjs's own tests do)
// Prints one line per image: "P ID p(Drawing) p(Hentai) p(Neutral) p(Porn) p(Sexy)" (class order of
// nsfwjs's NSFW_CLASSES), each probability as classify() returns it (top-5, all classes).
// Resolve packages through NODE_PATH (the folder holding nsfwjs, @tensorflow/tfjs, buffer, jpeg-js).
'use strict';
const fs = require('fs');
const tf = require('@tensorflow/tfjs');
const nsfwjs = require('nsfwjs');
const CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

function readImage(parts) {
  const [, kind, path] = parts;
  if (kind === 'rgb') {
    const h = Number(parts[3]), w = Number(parts[4]);
    const bytes = fs.readFileSync(path);
    if (bytes.length !== h * w * 3) {
      throw new Error(path + ' has ' + bytes.length + ' bytes, expected ' + h + '*' + w + '*3');
    }
    return tf.tensor3d(new Int32Array(bytes), [h, w, 3], 'int32');
  }
  if (kind === 'jpeg') {
    const jpeg = require('jpeg-js');
    const img = jpeg.decode(fs.readFileSync(path), {useTArray: true, formatAsRGBA: false});
    return tf.tensor3d(new Int32Array(img.data), [img.height, img.width, 3], 'int32');
  }
  throw new Error('unknown image kind ' + kind + ' (valid: rgb, jpeg)');
}

async function main() {
  const [modelName, manifest] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const model = await nsfwjs.load(modelName);
  for (const line of fs.readFileSync(manifest, 'utf8').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 3) continue;
    const img = readImage(parts);
    const top = await model.classify(img, CLASSES.length);
    img.dispose();
    const p = CLASSES.map(c => top.find(t => t.className === c).probability);
    process.stdout.write('P ' + parts[0] + ' ' + p.join(' ') + '\n');
  }
}
main().catch(e => { console.error(e && e.stack || e); process.exit(1); });
