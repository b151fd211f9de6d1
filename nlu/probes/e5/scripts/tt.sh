#!/bin/bash
# usage: tt.sh CONFIGNAME OUTNAME  (BLAS one thread, as nlu10's tt1.sh)
cd /work/wt-nlu11/nlu
CONF=${CONF:-configs/$1.yml}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 RASA_MAX_CACHE_SIZE=0 RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 SQLALCHEMY_SILENCE_UBER_WARNING=1
export PYTHONPATH=/work/wt-nlu11/nlu:/work/helpers/embpkgs E5_TRAIN_LOG=/tmp/nlu11/train.log
echo "$(date -u +%T) start $1 -> $2 load: $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/nlu11/tt.log
/usr/bin/time -f "$1 $2 user %U sys %S wall %e maxrss_kb %M" -a -o /tmp/nlu11/tt.log \
  /work/main/.venv-rasa/bin/rasa train nlu --config $CONF --nlu /work/wt-nlu11/var/nlu-eval-nlu11/data --out /tmp/nlu11/models --fixed-model-name $2 > /tmp/nlu11/train-$2.out 2>&1
echo "$(date -u +%T) end $1 load: $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/nlu11/tt.log
