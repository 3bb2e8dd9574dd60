/**
 * The real pretrained CNNs Argus provisions itself ({@link
 * org.argus.model.provision.PretrainedModels}): fetched once from the npm package {@code
 * nsfwjs@4.4.0}, decoded, imported to ONNX and cached under the Argus home, every file checked
 * against a recorded sha256.
 */
package org.argus.model.provision;
