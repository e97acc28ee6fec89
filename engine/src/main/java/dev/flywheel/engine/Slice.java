package dev.flywheel.engine;

/**
 * A tensor inside a flat buffer: it starts at {@code off} in {@code data}. Every layer's activations of one kind
 * share a buffer, and the kernels take (buffer, offset) pairs; a slice names such a pair once, when the buffers are
 * allocated, so that a call site reads as the tensors it moves and the step still allocates nothing.
 */
public record Slice(float[] data, int off) {}
