/**
 * How the engine says things to people: {@link dev.ferry.engine.text.ErrorText} turns a failure into words that
 * name what was wrong (no class names, no stack traces), {@link dev.ferry.engine.text.Units} prints sizes and
 * rates. Depends on nothing but the JDK; every package of the engine, the API's types included, may use it.
 */
package dev.ferry.engine.text;
