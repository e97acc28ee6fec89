package dev.flywheel.app;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The one place numeric options are checked, as picocli converters named on each option ({@code converter =
 * Numbers.PositiveInt.class}): a value is refused while the command line is parsed, before anything is read,
 * trained or written. Java parses "NaN", "Infinity" and "-1" as numbers, and a sampler or trainer handed them runs
 * on and produces garbage with exit status 0; here they get one sentence. The message says what the option needs;
 * {@link Main} puts the option's name and the value in front of it.
 */
final class Numbers {

    private Numbers() {
    }

    /** A whole number of 1 or more: counts of tokens, steps, threads, layers. */
    static final class PositiveInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return (int) whole(value, 1, Integer.MAX_VALUE, "a whole number of 1 or more");
        }
    }

    /** A whole number of 0 or more, where 0 means "none" or "off": top-k, warm-up steps, sample tokens. */
    static final class NonNegativeInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return (int) whole(value, 0, Integer.MAX_VALUE, "a whole number of 0 or more");
        }
    }

    /** A whole number of 1 or more that may exceed two billion: token and step budgets. */
    static final class PositiveLong implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return whole(value, 1, Long.MAX_VALUE, "a whole number of 1 or more");
        }
    }

    /** A finite number greater than 0: learning rates, seconds, ratios. */
    static final class PositiveDouble implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double x = finite(value, "a number greater than 0");
            if (!(x > 0)) throw refused("a number greater than 0");
            return x;
        }
    }

    /** A finite number of 0 or more, where 0 means "off" or "greedy": temperature, weight decay, clips. */
    static final class NonNegativeDouble implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double x = finite(value, "a number of 0 or more");
            if (!(x >= 0)) throw refused("a number of 0 or more");
            return x == 0 ? 0.0 : x; // -0.0 is 0
        }
    }

    /** A finite number, sign left to the recipe's own checks: betas. */
    static final class FiniteDouble implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            return finite(value, "a finite number");
        }
    }

    /** A share of the data: a finite number from 0 up to, not including, 1. */
    static final class Fraction implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double x = finite(value, "a fraction from 0 up to 1, such as 0.05");
            if (!(x >= 0 && x < 1)) throw refused("a fraction from 0 up to 1, such as 0.05");
            return x;
        }
    }

    private static long whole(String value, long min, long max, String what) {
        long x;
        try {
            x = Long.parseLong(value.strip().replace("_", ""));
        } catch (NumberFormatException e) {
            throw refused(what);
        }
        if (x < min || x > max) throw refused(what);
        return x;
    }

    private static double finite(String value, String what) {
        double x;
        try {
            x = Double.parseDouble(value.strip());
        } catch (NumberFormatException e) {
            throw refused(what);
        }
        if (!Double.isFinite(x)) throw refused(what);
        return x;
    }

    private static Refused refused(String what) {
        return new Refused(what);
    }

    /** A value outside what an option needs; its message is the need ("a number of 0 or more"). */
    static final class Refused extends TypeConversionException {
        Refused(String need) {
            super(need);
        }
    }

    /** The sentence for a refused value: "--top-k must be a whole number of 0 or more, not -1". */
    static String sentence(String option, String need, String value) {
        return option + " must be " + need + ", not " + value;
    }
}
