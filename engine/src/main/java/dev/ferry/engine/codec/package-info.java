/**
 * Page codecs: one instance per sender or receiver thread, each with its own native or {@code java.util.zip}
 * context, reused for every page; no allocation per page. A codec compresses exactly one page into a bounded
 * output and says when the page does not shrink; it decompresses one page and refuses, with a
 * {@code ProtocolException}, anything that is not exactly one page.
 */
package dev.ferry.engine.codec;
