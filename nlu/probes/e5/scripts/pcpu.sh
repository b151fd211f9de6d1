#!/bin/bash
cd /work/wt-nlu11/nlu
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 PYTHONPATH=/work/wt-nlu11/nlu:/work/helpers/embpkgs
for m in logreg e5gate e5all logreg e5gate; do
  echo "$(date -u +%T) $m load $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/nlu11/pcpu.log
  /work/main/.venv-rasa/bin/python /tmp/nlu11/pcpu.py /work/wt-nlu11/var/nlu-eval-nlu11/$m.tar.gz 2>/dev/null | grep '^{' >> /tmp/nlu11/pcpu.log
done
echo "$(date -u +%T) done load $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/nlu11/pcpu.log
