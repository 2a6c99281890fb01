/**
 * Page codecs: one instance per sender or receiver thread, each with its own native or {@code java.util.zip}
 * context, reused for every frame (a run of pages compressed as one); no allocation per packet. A codec compresses
 * a frame into a bounded output and says when it does not shrink; it decompresses a frame and refuses, with a
 * {@code ProtocolException}, anything that is not exactly the frame's bytes.
 */
package dev.ferry.engine.codec;
