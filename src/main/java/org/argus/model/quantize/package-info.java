/**
 * Static int8 quantization of ONNX graphs (graph rewriting, like cutting and importing): fp32-exact
 * fusions ({@link org.argus.model.quantize.GraphFusion}), the QDQ plan of which tensors get
 * quantized ({@link org.argus.model.quantize.QdqPlan}), activation ranges from calibration
 * ({@link org.argus.model.quantize.RangeStats}, {@link org.argus.model.quantize.ActivationRanges})
 * and the rewrite that inserts QuantizeLinear/DequantizeLinear pairs ({@link
 * org.argus.model.quantize.Int8Quantizer}) so that ONNX Runtime fuses them into quantized kernels
 * (QLinearConv, QLinearAdd, QLinearConcat, QLinearAveragePool).
 *
 * <p>Scheme (as ONNX Runtime's own {@code quantize_static} with {@code QuantFormat.QDQ},
 * {@code activation_type=QUInt8}, {@code weight_type=QInt8}, {@code per_channel=True}; Jacob et al.,
 * "Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only Inference",
 * CVPR 2018, §2): activations uint8 asymmetric, {@code x ≈ scale·(q − zeroPoint)} with the range
 * widened to include 0 so that 0 (padding) is exact; Conv weights int8 symmetric per output channel
 * ({@code scale_c = max|w_c| / 127}, zero point 0); Conv bias int32 with {@code scale = scale_x ·
 * scale_w,c}. The calibration that measures the ranges runs in Spark ({@code
 * org.argus.execution.inference.Calibration}); nothing here talks to ONNX Runtime.
 */
package org.argus.model.quantize;
