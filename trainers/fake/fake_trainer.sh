#!/bin/sh
# A trainer in a few lines of shell and awk that speaks the Flywheel trainer protocol (docs/trainer-protocol.md):
# it fakes a loss curve whose floor is lowest at --lr=0.003, so a study over trainer.args.lr has something to find.
lr=0.001
for a in "$@"; do case $a in --lr=*) lr=${a#--lr=} ;; esac; done
steps=${FLYWHEEL_BUDGET%steps}
awk -v n="$steps" -v lr="$lr" -v seed="$FLYWHEEL_SEED" 'BEGIN {
  srand(seed); q = log(lr / 0.003); floor = 1.5 + 0.3 * q * q
  for (s = 0; s < n; s++) {
    loss = floor + 3 * exp(-8 * s / n) + 0.02 * (rand() - 0.5)
    printf("{\"step\": %d, \"tokens\": %d, \"loss\": %.5f, \"lr\": %g}\n", s, (s + 1) * 256, loss, lr) >> "metrics.jsonl"
    fflush()
  }
  printf("{\"val_bpb\": %.5f}\n", (floor + 3 * exp(-8)) / 2 + 0.002 * (rand() - 0.5)) > "summary.json"
}'
