// Checks Flywheel's tokenizer.json export with Hugging Face's tokenizers.js: same ids, exact decoding.
//   npm install @huggingface/tokenizers
//   java -cp ... dev.flywheel.data.bench.HuggingFaceSamples PREPARED_DIR samples.json input.txt
//   node check_hf_export.mjs PREPARED_DIR/tokenizer.json samples.json
import { Tokenizer } from "@huggingface/tokenizers";
import fs from "node:fs";

const [tokenizerFile, samplesFile] = process.argv.slice(2);
const tokenizer = new Tokenizer(JSON.parse(fs.readFileSync(tokenizerFile, "utf8")), {});
const samples = JSON.parse(fs.readFileSync(samplesFile, "utf8"));
let bad = 0, tokens = 0;
for (const [text, expected] of samples) {
  const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
  tokens += ids.length;
  if (ids.length !== expected.length || ids.some((v, k) => v !== expected[k])) {
    if (bad++ < 3) console.log("ids differ for", JSON.stringify(text).slice(0, 120));
  }
  const back = expected.length ? tokenizer.decode(expected, { skip_special_tokens: false, clean_up_tokenization_spaces: false }) : "";
  if (back !== text) {
    if (bad++ < 3) console.log("decoding differs for", JSON.stringify(text).slice(0, 120));
  }
}
console.log(`${samples.length} texts, ${tokens} tokens, ${bad} differences`);
process.exit(bad === 0 ? 0 : 1);
