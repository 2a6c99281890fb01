/**
 * The {@code ferry} command line: {@code send}, {@code receive} and {@code demo} on top of the embedding API.
 * Names of commands, flags, JSON keys and exit codes are a contract: 0 completed (and verified unless
 * {@code --verify none}), 1 migration failed, cancelled or unknown, 2 bad usage or configuration.
 */
package dev.ferry.engine.cli;
