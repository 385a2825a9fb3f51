// One accessor per family file. Adding a family: write src/models/<family>.cpp
// defining its accessor, declare it here, and list it in registry.cpp.
#pragma once

#include "models/registry.h"

namespace litevit::models {

const Family& vit_family();         // vit.cpp
const Family& deit_family();        // vit.cpp
const Family& mobilevit_family();   // mobilevit.cpp
const Family& mobilevitv2_family(); // mobilevit.cpp
const Family& efficientvit_family(); // efficientvit.cpp
const Family& tiny_vit_family();    // tiny_vit.cpp
const Family& levit_family();       // levit.cpp
const Family& poolformer_family();  // poolformer.cpp
const Family& efficientformer_family();   // efficientformer.cpp
const Family& swin_family();        // swin.cpp
const Family& beit_family();        // beit.cpp
const Family& coatnet_family();     // coatnet.cpp

}  // namespace litevit::models
