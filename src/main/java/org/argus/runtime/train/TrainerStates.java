package org.argus.runtime.train;

import java.io.IOException;

/**
 * Reads and rewrites the arrays of a trainer state in this package's format ({@link
 * DjlTrainerFactory} and {@link FineTuneTrainerFactory} states: seed, step, then the parameter
 * arrays followed by the optimizer-slot arrays). Lets an execution average or sum states without
 * holding more than one state and one sum (data-parallel local SGD).
 */
public final class TrainerStates {
  private TrainerStates() {}

  /**
   * @param state a trainer state
   * @return its arrays (parameters, then optimizer slots), each flattened row-major
   * @throws TrainingException if the bytes are not a trainer state
   */
  public static float[][] arrays(byte[] state) throws TrainingException {
    return read(state).arrays;
  }

  /**
   * @param state a trainer state
   * @return its optimizer step counter
   * @throws TrainingException if the bytes are not a trainer state
   */
  public static long step(byte[] state) throws TrainingException {
    return read(state).step;
  }

  /**
   * @param template a trainer state (seed and array shapes are kept)
   * @param arrays replacement arrays, as {@link #arrays} returns them
   * @param step the new step counter
   * @return the state with the arrays and step replaced
   * @throws TrainingException if the template is not a trainer state
   * @throws IllegalArgumentException if the arrays differ in number or length from the template's
   */
  public static byte[] withArrays(byte[] template, float[][] arrays, long step) throws TrainingException {
    DjlTrainerFactory.DjlState t = read(template);
    if (arrays.length != t.arrays.length) {
      throw new IllegalArgumentException(
          "state has " + t.arrays.length + " arrays; replacement has " + arrays.length);
    }
    for (int i = 0; i < arrays.length; i++) {
      if (arrays[i].length != t.arrays[i].length) {
        throw new IllegalArgumentException("state array " + i + " has " + t.arrays[i].length
            + " elements; replacement has " + arrays[i].length);
      }
    }
    return new DjlTrainerFactory.DjlState(t.seed, step, t.shapes, arrays).write();
  }

  private static DjlTrainerFactory.DjlState read(byte[] state) throws TrainingException {
    try {
      return DjlTrainerFactory.DjlState.read(state);
    } catch (IOException e) {
      throw new TrainingException("malformed trainer state: " + e.getMessage(), e);
    }
  }
}
