#!/usr/bin/env node
// Reference activations from TF.js (pure-JS CPU backend) for the Argus Keras->ONNX importer tests.
//
//   node reference.js <tfjsDir> <model> <outDir>   real model: <tfjsDir>/model.json + shards
//   node reference.js --tiny <outDir>              tiny seeded model exercising TF 'same' padding
//
// Input (batch 1, NHWC float32): x[0,h,w,c] = fround(sin(0.01*(h*W + w) + 0.3*c)), values in [-1, 1].
// Outputs: per layer <layer>.f32.gz = gzip of little-endian float32 in NHWC (Keras) layout, and
// reference.json describing shapes, the input formula and the tfjs version.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const tf = require('@tensorflow/tfjs');

const LAYERS = {
  mobilenet_v2: ['block_6_expand_relu', 'out_relu', 'dense_3'],
  inception_v3: ['mixed5', 'mixed10', 'dense_3'],
};
const FORMULA = 'x[0,h,w,c] = fround(sin(0.01*(h*W + w) + 0.3*c)), NHWC, batch 1';

function input(h, w, c) {
  const x = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < w; xx++)
      for (let k = 0; k < c; k++) x[(y * w + xx) * c + k] = Math.sin(0.01 * (y * w + xx) + 0.3 * k);
  return tf.tensor4d(x, [1, h, w, c]);
}

async function loadDir(dir) {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const specs = [], bufs = [];
  for (const g of json.weightsManifest) {
    for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
    specs.push(...g.weights);
  }
  const all = Buffer.concat(bufs);
  const data = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tf.loadLayersModel(tf.io.fromMemory({modelTopology: json.modelTopology, weightSpecs: specs, weightData: data}));
}

async function run(model, layers, h, w, outDir) {
  const probe = tf.model({inputs: model.inputs, outputs: layers.map(n => model.getLayer(n).output)});
  const c = model.inputs[0].shape[3];
  const x = input(h, w, c);
  let ys = probe.predict(x);
  if (!Array.isArray(ys)) ys = [ys];
  fs.mkdirSync(outDir, {recursive: true});
  const out = [];
  for (let i = 0; i < layers.length; i++) {
    const v = ys[i].dataSync();
    const file = layers[i] + '.f32.gz';
    fs.writeFileSync(path.join(outDir, file), zlib.gzipSync(Buffer.from(v.buffer, v.byteOffset, v.byteLength), {level: 9}));
    let maxAbs = 0;
    for (const a of v) maxAbs = Math.max(maxAbs, Math.abs(a));
    out.push({layer: layers[i], shape: ys[i].shape, layout: ys[i].shape.length === 4 ? 'NHWC' : 'NF', file, maxAbs});
    console.error(`${layers[i]} ${JSON.stringify(ys[i].shape)} max|y|=${maxAbs}`);
  }
  return {input: {shape: [1, h, w, c], layout: 'NHWC', formula: FORMULA}, outputs: out};
}

function meta(extra) {
  return Object.assign({tfjsVersion: tf.version.tfjs, backend: tf.getBackend(), generator: 'tools/tfjs-reference/reference.js'}, extra);
}

async function real(dir, name, outDir) {
  const layers = LAYERS[name];
  if (!layers) throw new Error(`unknown model ${name}; known: ${Object.keys(LAYERS)}`);
  const model = await loadDir(dir);
  const [, h, w] = model.inputs[0].shape;
  const r = await run(model, layers, h, w, outDir);
  fs.writeFileSync(path.join(outDir, 'reference.json'), JSON.stringify(meta({model: name, ...r}), null, 1) + '\n');
}

async function tiny(outDir) {
  const seed = (s) => tf.initializers.randomUniform({minval: -0.8, maxval: 0.8, seed: s});
  const inp = tf.input({shape: [null, null, 2], name: 'input_1'});
  const zp = tf.layers.zeroPadding2d({padding: [[1, 0], [0, 2]], name: 'zp'}).apply(inp);
  const c1 = tf.layers.conv2d({filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'conv_s2',
    kernelInitializer: seed(1), biasInitializer: seed(2)}).apply(zp);
  const dw = tf.layers.depthwiseConv2d({kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, name: 'dw_s2',
    depthwiseInitializer: seed(3), biasInitializer: seed(4)}).apply(c1);
  const bn = tf.layers.batchNormalization({name: 'bn', scale: false, epsilon: 0.01, betaInitializer: seed(5),
    movingMeanInitializer: seed(6), movingVarianceInitializer: tf.initializers.randomUniform({minval: 0.5, maxval: 1.5, seed: 7})}).apply(dw);
  const mp = tf.layers.maxPooling2d({poolSize: 3, strides: 2, padding: 'same', name: 'max_s2'}).apply(c1);
  const ap = tf.layers.averagePooling2d({poolSize: 3, strides: 2, padding: 'same', name: 'avg_s2'}).apply(c1);
  const cat = tf.layers.concatenate({name: 'cat'}).apply([bn, mp, ap]);
  const r6 = tf.layers.reLU({maxValue: 0.5, name: 'relu6'}).apply(cat);
  const gap = tf.layers.globalAveragePooling2d({name: 'gap'}).apply(r6);
  const dense = tf.layers.dense({units: 4, activation: 'softmax', name: 'dense', kernelInitializer: seed(8), biasInitializer: seed(9)}).apply(gap);
  const model = tf.model({inputs: inp, outputs: dense, name: 'tiny_same'});
  fs.mkdirSync(outDir, {recursive: true});
  await model.save(tf.io.withSaveHandler(async (a) => {
    const wd = Array.isArray(a.weightData) ? Buffer.concat(a.weightData.map(b => Buffer.from(b))) : Buffer.from(a.weightData);
    fs.writeFileSync(path.join(outDir, 'weights.bin'), wd);
    fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify({format: 'layers-model', generatedBy: a.generatedBy,
      convertedBy: null, modelTopology: a.modelTopology, weightsManifest: [{paths: ['weights.bin'], weights: a.weightSpecs}]}));
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }));
  const layers = ['zp', 'conv_s2', 'dw_s2', 'bn', 'max_s2', 'avg_s2', 'cat', 'relu6', 'gap', 'dense'];
  const runs = [];
  for (const s of [7, 8]) runs.push(await run(model, layers, s, s, path.join(outDir, s + 'x' + s)));
  fs.writeFileSync(path.join(outDir, 'reference.json'), JSON.stringify(meta({model: 'tiny_same', runs: runs.map((r, i) => ({dir: [7, 8][i] + 'x' + [7, 8][i], ...r}))}), null, 1) + '\n');
}

(async () => {
  await tf.setBackend('cpu');
  const a = process.argv.slice(2);
  if (a[0] === '--tiny' && a.length === 2) await tiny(a[1]);
  else if (a.length === 3) await real(a[0], a[1], a[2]);
  else {
    console.error('usage: node reference.js <tfjsDir> <model> <outDir> | node reference.js --tiny <outDir>');
    process.exit(2);
  }
})().catch(e => { console.error(e); process.exit(1); });
