/**
 * Implementation details of the LoraHub API, not part of the public API: they may change in any
 * release.
 */
@NullMarked
package dev.lorahub.internal;

import org.jspecify.annotations.NullMarked;
