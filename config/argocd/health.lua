-- Argo CD health check for certification.modelcert.io/ModelCertification.
-- Healthy while Ready is True: the last verdict is CERTIFIED and not expired (a re-certification
-- in progress keeps it); Degraded for QUALITY_WARNING, FAILED or an expired verdict; Progressing
-- until the first verdict; Suspended when suspended before any verdict.
hs = {}

local function condition(typ)
  if obj.status ~= nil and obj.status.conditions ~= nil then
    for _, c in ipairs(obj.status.conditions) do
      if c.type == typ then
        return c
      end
    end
  end
  return nil
end

if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator"
  return hs
end
if obj.metadata.generation ~= nil and obj.status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe the latest spec"
  return hs
end

local ready = condition("Ready")
local message = ""
if ready ~= nil and ready.message ~= nil then
  message = ready.message
end
local phase = obj.status.phase

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
elseif phase == "QualityWarning" or phase == "Failed" or (ready ~= nil and ready.reason == "Expired") then
  hs.status = "Degraded"
elseif phase == "Pending" and obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
else
  hs.status = "Progressing"
end
hs.message = message
return hs
