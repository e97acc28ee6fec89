package dev.flywheel.data.loader;

import dev.flywheel.data.Split;

/**
 * Where one token of a batch came from, for spike forensics: the document, the position in it, and its text
 * around the token.
 *
 * @param split             the split the loader reads
 * @param offset            the token's position in the split's token stream
 * @param tokenId           the token id
 * @param tokenText         the token's text (U+FFFD where it holds part of a character)
 * @param documentId        the stable id of the document (use it in an exclude file to quarantine the document)
 * @param positionInDocument the token's index within the document's tokens in this shard (0 = its {@code <|endoftext|>})
 * @param documentTokens    the document's token count in this shard
 * @param continued         the document began before this shard (a contiguous split or a shard boundary cut it)
 * @param snippet           the document's text around the token, the token itself marked as ⟦token⟧
 * @param shard             the shard file
 */
public record TokenOrigin(Split split, long offset, int tokenId, String tokenText, String documentId, long positionInDocument,
                          long documentTokens, boolean continued, String snippet, String shard) {}
