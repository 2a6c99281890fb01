/**
 * {@code ferry daemon}: one {@link dev.ferry.engine.MigrationRuntime} that runs until drained, driven through a
 * control API (JSON over HTTP on a Unix-domain socket, Jetty) and watched through Prometheus metrics. Above the
 * engine's entry points, below the CLI; its libraries (Jetty, Jackson, the Prometheus client) are optional
 * dependencies, which embedders of the engine do not receive.
 */
package dev.ferry.engine.daemon;
